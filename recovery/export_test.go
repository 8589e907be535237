package recovery

// FlashFree exposes flashFree to the external tests.
var FlashFree = flashFree
