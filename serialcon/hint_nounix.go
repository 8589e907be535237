//go:build !unix

package serialcon

// permissionHint: Windows reports a port held by another program as "access
// denied", so the likely cause is the same as busy.
func permissionHint(path string) string {
	return "Windows refused access; close any other program using " + path + " (PuTTY, Tera Term, a vendor utility) and try again"
}
