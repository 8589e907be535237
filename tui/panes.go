package tui

// panes lists the tabs in the order shown. A new pane is one file with its
// factory and one line here.
func panes() []PaneFactory {
	return []PaneFactory{
		newConsolePane,
		newRecoveryPane,
		newImagesPane,
		newServersPane,
		newDirectorPane,
	}
}
