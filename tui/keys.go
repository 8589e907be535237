package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// KeyMap is every key fieldcon reacts to. In the console pane plain keys
// go to the device, so fieldcon's own commands sit behind a prefix key
// (ctrl-t, as in tio); the bindings marked "after the prefix" are the key
// pressed next. Letters follow tio where it has the same command (b, h,
// l, f, t, e, q); x sends a file via XMODEM.
type KeyMap struct {
	Prefix key.Binding

	// After the prefix, anywhere.
	Help     key.Binding
	Quit     key.Binding
	NextPane key.Binding
	Pane     key.Binding // 1-9

	// After the prefix, in the console.
	Break       key.Binding
	BreakRepeat key.Binding
	Baud        key.Binding
	Timestamps  key.Binding
	Hex         key.Binding
	Log         key.Binding
	Clear       key.Binding
	SendFile    key.Binding
	LineMode    key.Binding
	Search      key.Binding
	Literal     key.Binding // send the prefix key itself to the device
	Disconnect  key.Binding
	XMODEM      key.Binding

	// In the Images, Recovery and Servers panes.
	Use        key.Binding
	Unuse      key.Binding
	Fast       key.Binding
	Abort      key.Binding
	ToggleTFTP key.Binding
	ToggleDHCP key.Binding

	// Console scrollback, without the prefix (the device never needs them).
	PageUp   key.Binding
	PageDown key.Binding
	LineUp   key.Binding
	LineDown key.Binding
	Bottom   key.Binding

	// Search, dialogs, lists.
	Older  key.Binding
	Newer  key.Binding
	Accept key.Binding
	Cancel key.Binding
	Up     key.Binding
	Down   key.Binding
	Left   key.Binding
	Right  key.Binding
	Rescan key.Binding
	Sim    key.Binding

	// Where no pane takes typing.
	HelpDirect key.Binding
	QuitDirect key.Binding
}

// DefaultKeyMap is fieldcon's keys.
func DefaultKeyMap() *KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return &KeyMap{
		Prefix: b([]string{"ctrl+t"}, "ctrl-t", "fieldcon's commands"),

		Help:     b([]string{"?"}, "ctrl-t ?", "help and command menu"),
		Quit:     b([]string{"q", "ctrl+q"}, "ctrl-t q", "quit, closing the port"),
		NextPane: b([]string{"tab"}, "ctrl-t tab", "next tab"),
		Pane:     b([]string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}, "ctrl-t 1-9", "go to tab N"),

		Break:       b([]string{"b"}, "ctrl-t b", "send break"),
		BreakRepeat: b([]string{"B"}, "ctrl-t B", "break for 60 s (boot)"),
		Baud:        b([]string{"s"}, "ctrl-t s", "speed, or auto-detect"),
		Timestamps:  b([]string{"t"}, "ctrl-t t", "timestamps on/off"),
		Hex:         b([]string{"h"}, "ctrl-t h", "hex view on/off"),
		Log:         b([]string{"f"}, "ctrl-t f", "session log on/off"),
		Clear:       b([]string{"l"}, "ctrl-t l", "clear the screen"),
		SendFile:    b([]string{"p"}, "ctrl-t p", "paste a file slowly"),
		LineMode:    b([]string{"e"}, "ctrl-t e", "local line editing"),
		Search:      b([]string{"/"}, "ctrl-t /", "search the scrollback"),
		Literal:     b([]string{"ctrl+t"}, "ctrl-t ctrl-t", "send a real ctrl-t"),
		Disconnect:  b([]string{"o"}, "ctrl-t o", "pick another port"),
		XMODEM:      b([]string{"x"}, "ctrl-t x", "send a file via XMODEM"),

		Use:        b([]string{"u"}, "u", "use this image for recovery"),
		Unuse:      b([]string{"U"}, "U", "forget the recovery image"),
		Fast:       b([]string{"f"}, "f", "fast: raise the console speed for transfers"),
		Abort:      b([]string{"a"}, "a", "abort the run"),
		ToggleTFTP: b([]string{"t"}, "t", "start / stop the TFTP server"),
		ToggleDHCP: b([]string{"d"}, "d", "start / stop the DHCP server"),

		PageUp:   b([]string{"pgup", "shift+pgup"}, "pgup", "scroll back a page"),
		PageDown: b([]string{"pgdown", "shift+pgdown"}, "pgdn", "scroll forward a page"),
		LineUp:   b([]string{"shift+up"}, "shift-↑", "scroll back a line"),
		LineDown: b([]string{"shift+down"}, "shift-↓", "scroll forward a line"),
		Bottom:   b([]string{"shift+end"}, "shift-end", "back to the live output"),

		Older:  b([]string{"up", "enter"}, "↑/enter", "older match"),
		Newer:  b([]string{"down"}, "↓", "newer match"),
		Accept: b([]string{"enter"}, "enter", "accept"),
		Cancel: b([]string{"esc"}, "esc", "cancel / close"),
		Up:     b([]string{"up", "k"}, "↑", "previous"),
		Down:   b([]string{"down", "j"}, "↓", "next"),
		Left:   b([]string{"left"}, "←", "slower / previous choice"),
		Right:  b([]string{"right"}, "→", "faster / next choice"),
		Rescan: b([]string{"r"}, "r", "look for ports again"),
		Sim:    b([]string{"S"}, "S", "start the simulator"),

		HelpDirect: b([]string{"?"}, "?", "help"),
		QuitDirect: b([]string{"q", "ctrl+c"}, "q", "quit"),
	}
}

// keyBytes is what a terminal sends for k, as the device should receive
// it: printable text as typed, ctrl-letters as control bytes, alt as an
// ESC prefix, arrows and friends as VT100 sequences (IOS uses them for
// history). It returns nil for keys with no byte form (F-keys).
func keyBytes(k tea.KeyPressMsg) []byte {
	var b []byte
	if k.Mod.Contains(tea.ModCtrl) {
		b = ctrlByte(k.Code)
	}
	if b == nil {
		switch k.Code {
		case tea.KeyEnter, tea.KeyKpEnter:
			b = []byte{'\r'}
		case tea.KeyTab:
			b = []byte{'\t'}
		case tea.KeyBackspace:
			// ^H, not DEL: ROMMON and the switch loader only erase on ^H,
			// and IOS accepts both.
			b = []byte{0x08}
		case tea.KeyEscape:
			b = []byte{0x1B}
		case tea.KeyUp:
			b = []byte("\x1b[A")
		case tea.KeyDown:
			b = []byte("\x1b[B")
		case tea.KeyRight:
			b = []byte("\x1b[C")
		case tea.KeyLeft:
			b = []byte("\x1b[D")
		case tea.KeyHome:
			b = []byte("\x1b[H")
		case tea.KeyEnd:
			b = []byte("\x1b[F")
		case tea.KeyDelete:
			b = []byte("\x1b[3~")
		case tea.KeyInsert:
			b = []byte("\x1b[2~")
		default:
			if k.Text != "" {
				b = []byte(k.Text)
			} else if !k.Mod.Contains(tea.ModCtrl) && k.Code >= 0x20 && k.Code < 0x7F {
				b = []byte{byte(k.Code)} // alt+letter arrives without Text
			}
		}
	}
	if b != nil && k.Mod.Contains(tea.ModAlt) {
		b = append([]byte{0x1B}, b...)
	}
	return b
}

// ctrlByte maps ctrl+key to its C0 control byte.
func ctrlByte(code rune) []byte {
	switch {
	case code >= 'a' && code <= 'z':
		return []byte{byte(code - 'a' + 1)}
	case code >= 'A' && code <= 'Z':
		return []byte{byte(code - 'A' + 1)}
	case code == '@' || code == tea.KeySpace || code == '2':
		return []byte{0}
	case code >= '[' && code <= '_':
		return []byte{byte(code - 0x40)}
	case code == '?':
		return []byte{0x7F}
	}
	return nil
}
