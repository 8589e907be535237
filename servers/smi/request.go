package smi

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// requestType is the type word of a message this package may send. Only the
// four constants below exist and nothing converts a Type into one, so no code
// path can write a type-5 or type-7 header (a test walks the source to keep it
// that way).
type requestType uint32

const (
	sendImageUpgrade requestType = requestType(TypeImageUpgrade)
	sendConfig       requestType = requestType(TypeConfig)
	sendProbe        requestType = requestType(TypeProbe)
	sendCommands     requestType = requestType(TypeCommands)
)

// newRequest returns a zeroed message of the given total size with a
// director header. The length word is computed here, never taken from input.
func newRequest(t requestType, size int) []byte {
	b := make([]byte, size)
	binary.BigEndian.PutUint32(b[0:], wordDirector)
	binary.BigEndian.PutUint32(b[4:], wordRequest)
	binary.BigEndian.PutUint32(b[8:], uint32(t))
	binary.BigEndian.PutUint32(b[12:], uint32(size-HeaderSize))
	return b
}

func put32(b []byte, off int, v uint32) { binary.BigEndian.PutUint32(b[off:], v) }

// checkRequest checks the framing of a director request of the given type
// and total size.
func checkRequest(b []byte, want Type, size int) error {
	h, err := DecodeHeader(b)
	if err != nil {
		return err
	}
	if !h.FromDirector() || h.Type != want {
		return fmt.Errorf("got a type %s message with header words %#x %#x, want a director's type %s: %w", h.Type, h.W0, h.W1, want, ErrWrongType)
	}
	if h.Length != uint32(size-HeaderSize) {
		return fmt.Errorf("length word %d, want %d: %w", h.Length, size-HeaderSize, ErrMalformed)
	}
	switch {
	case len(b) < size:
		return fmt.Errorf("%d of %d bytes: %w", len(b), size, ErrTruncated)
	case len(b) > size:
		return fmt.Errorf("%d bytes, want %d: %w", len(b), size, ErrTooLong)
	}
	return nil
}

// expectWords checks the big-endian words starting at off.
func expectWords(b []byte, off int, want ...uint32) error {
	for i, w := range want {
		o := off + 4*i
		if got := binary.BigEndian.Uint32(b[o:]); got != w {
			return fmt.Errorf("word at offset %d is %#x, want %#x: %w", o, got, w, ErrMalformed)
		}
	}
	return nil
}

func expectZero(b []byte, off, n int) error {
	for i, c := range b[off : off+n] {
		if c != 0 {
			return fmt.Errorf("byte at offset %d is %#02x, want 0: %w", off+i, c, ErrMalformed)
		}
	}
	return nil
}

// Type 4, probe, 24 bytes. A client answers with ClientReply, a director
// closes the connection, a client that dislikes the request answers with
// RejectReply.
//
//	 0        16         20         24
//	+--------+----------+----------+
//	| header | 00000001 | 00000000 |
//	+--------+----------+----------+
const probeSize = HeaderSize + 8

// EncodeProbe returns the 24-byte probe.
func EncodeProbe() []byte {
	b := newRequest(sendProbe, probeSize)
	put32(b, 16, 1)
	return b
}

// DecodeProbe checks that b is exactly the probe EncodeProbe makes. Longer
// variants (one public tool sends 28 bytes) are refused.
func DecodeProbe(b []byte) error {
	if err := checkRequest(b, TypeProbe, probeSize); err != nil {
		return fmt.Errorf("smi decode probe: %w", err)
	}
	if err := expectWords(b, 16, 1, 0); err != nil {
		return fmt.Errorf("smi decode probe: %w", err)
	}
	return nil
}

// Type 3, configuration URL, 312 bytes. The client fetches the URL by TFTP
// at once; with the reload flag it makes the file its startup configuration
// and reloads at HH:MM. What it does with the file without the flag is not
// documented anywhere.
//
//	 0       16   20     28   32   36       40   44   48               180              312
//	+-------+----+------+----+----+--------+----+----+----------------+----------------+
//	|header | 3  | 0  0 | 2  | 0  | reload | HH | MM | 132 zero bytes | URL, 132 bytes |
//	+-------+----+------+----+----+--------+----+----+----------------+----------------+
//
// The zero slot at 48 is zero in every sample; it may be a second URL field.
const (
	configSize      = 312
	configReloadOff = 36
	configSlotOff   = 48
	configURLOff    = 180
	configURLSize   = 132
)

// ConfigRequest is a type-3 message: the configuration file to fetch and,
// when Reload is not zero, the time to reload with it as the startup
// configuration. A zero Reload sends no reload; a reload at 00:00 cannot be
// asked for because nobody knows what the client makes of it.
type ConfigRequest struct {
	URL    TFTPURL
	Reload ReloadTime
}

// Validate reports why the request cannot be sent.
func (r ConfigRequest) Validate() error {
	if err := r.URL.Validate(); err != nil {
		return err
	}
	if s := r.URL.String(); !fits(s, configURLSize) {
		return fmt.Errorf("%w: %q is %d characters; a configuration URL holds at most %d, use a shorter file name", ErrURL, s, len(s), configURLSize-1)
	}
	return r.Reload.Validate()
}

// EncodeConfig returns the 312-byte type-3 message for r.
func EncodeConfig(r ConfigRequest) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("smi encode configuration URL: %w", err)
	}
	b := newRequest(sendConfig, configSize)
	put32(b, 16, 3)
	put32(b, 28, 2)
	if !r.Reload.IsZero() {
		put32(b, configReloadOff, 1)
		put32(b, configReloadOff+4, uint32(r.Reload.Hours))
		put32(b, configReloadOff+8, uint32(r.Reload.Minutes))
	}
	copy(b[configURLOff:], r.URL.String())
	return b, nil
}

// DecodeConfig reads a type-3 message. It accepts exactly the layout
// EncodeConfig writes, so a decoded request encodes back to the same bytes.
func DecodeConfig(b []byte) (ConfigRequest, error) {
	r, err := decodeConfig(b)
	if err != nil {
		return ConfigRequest{}, fmt.Errorf("smi decode configuration URL: %w", err)
	}
	return r, nil
}

func decodeConfig(b []byte) (ConfigRequest, error) {
	if err := checkRequest(b, TypeConfig, configSize); err != nil {
		return ConfigRequest{}, err
	}
	if err := expectWords(b, 16, 3, 0, 0, 2, 0); err != nil {
		return ConfigRequest{}, err
	}
	var r ConfigRequest
	switch flag := binary.BigEndian.Uint32(b[configReloadOff:]); flag {
	case 0:
		if err := expectZero(b, configReloadOff+4, 8); err != nil {
			return ConfigRequest{}, fmt.Errorf("reload time without the reload flag: %w", err)
		}
	case 1:
		var err error
		if r.Reload, err = readReload(b, configReloadOff+4); err != nil {
			return ConfigRequest{}, err
		}
		if r.Reload.IsZero() {
			return ConfigRequest{}, fmt.Errorf("reload flag set with reload time 00:00: %w", ErrMalformed)
		}
	default:
		return ConfigRequest{}, fmt.Errorf("reload flag is %#x, want 0 or 1: %w", flag, ErrMalformed)
	}
	if err := expectZero(b, configSlotOff, configURLOff-configSlotOff); err != nil {
		return ConfigRequest{}, err
	}
	var err error
	if r.URL, err = readURL(b[configURLOff:configSize], "URL", configURLOff); err != nil {
		return ConfigRequest{}, err
	}
	return r, nil
}

func readReload(b []byte, off int) (ReloadTime, error) {
	h := binary.BigEndian.Uint32(b[off:])
	m := binary.BigEndian.Uint32(b[off+4:])
	if h > 23 || m > 59 {
		return ReloadTime{}, fmt.Errorf("reload time %d:%d at offset %d is not between 00:00 and 23:59: %w", h, m, off, ErrMalformed)
	}
	return ReloadTime{Hours: int(h), Minutes: int(m)}, nil
}

func readURL(slot []byte, what string, off int) (TFTPURL, error) {
	s, err := slotString(slot, what, off)
	if err != nil {
		return TFTPURL{}, err
	}
	u, err := ParseTFTPURL(s)
	if err != nil {
		return TFTPURL{}, fmt.Errorf("%s at offset %d: %w: %w", what, off, err, ErrMalformed)
	}
	return u, nil
}

// Type 2, image upgrade, 468 bytes. The client fetches the image list file by
// TFTP, then the tar image it names, installs it and reloads, either at HH:MM
// or immediately. The flag word, "now" and "timed" take the values of the
// two forms captured from real directors; their individual meaning is
// unknown.
//
//	 0       16   20     24     32    36      40   44   48   52               467  468
//	+-------+----+------+------+-----+-------+----+----+----+----------------+----+
//	|header | 2  | flag | 0  0 | now | timed | HH | MM | 1  | URL, 415 bytes | 01 |
//	+-------+----+------+------+-----+-------+----+----+----+----------------+----+
//
//	timed reload:      flag 0x801, now 0, timed 1, HH:MM
//	immediate reload:  flag 0x821, now 1, timed 0, 00:00
const (
	imageSize       = 468
	imageFlagOff    = 20
	imageNowOff     = 32
	imageReloadOff  = 36
	imageURLOff     = 52
	imageURLSize    = 415
	imageTrailerOff = 467

	imageFlagTimed     uint32 = 0x801
	imageFlagImmediate uint32 = 0x821
)

// ImageRequest is a type-2 message: the image list file to fetch and when to
// reload with the new image. Exactly one of Reload and Immediate must be
// given: an upgrade always reloads, and reloading now is a choice the caller
// has to make on purpose.
type ImageRequest struct {
	ImageListURL TFTPURL
	Reload       ReloadTime // HH:MM, at least 00:01
	Immediate    bool
}

// Validate reports why the request cannot be sent.
func (r ImageRequest) Validate() error {
	if err := r.ImageListURL.Validate(); err != nil {
		return err
	}
	if s := r.ImageListURL.String(); !fits(s, imageURLSize) {
		return fmt.Errorf("%w: %q is %d characters; an image list URL holds at most %d, use a shorter file name", ErrURL, s, len(s), imageURLSize-1)
	}
	if err := r.Reload.Validate(); err != nil {
		return err
	}
	switch {
	case r.Immediate && !r.Reload.IsZero():
		return fmt.Errorf("%w: both a reload time (%s) and an immediate reload were asked for; choose one", ErrReloadTime, r.Reload)
	case !r.Immediate && r.Reload.IsZero():
		return fmt.Errorf("%w: an image upgrade reloads the switch; give a reload time of at least 00:01 or choose an immediate reload", ErrReloadTime)
	}
	return nil
}

// EncodeImageUpgrade returns the 468-byte type-2 message for r.
func EncodeImageUpgrade(r ImageRequest) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("smi encode image upgrade: %w", err)
	}
	b := newRequest(sendImageUpgrade, imageSize)
	put32(b, 16, 2)
	if r.Immediate {
		put32(b, imageFlagOff, imageFlagImmediate)
		put32(b, imageNowOff, 1)
	} else {
		put32(b, imageFlagOff, imageFlagTimed)
		put32(b, imageReloadOff, 1)
		put32(b, imageReloadOff+4, uint32(r.Reload.Hours))
		put32(b, imageReloadOff+8, uint32(r.Reload.Minutes))
	}
	put32(b, 48, 1)
	copy(b[imageURLOff:], r.ImageListURL.String())
	b[imageTrailerOff] = 1
	return b, nil
}

// DecodeImageUpgrade reads a type-2 message. It accepts exactly the two
// layouts EncodeImageUpgrade writes.
func DecodeImageUpgrade(b []byte) (ImageRequest, error) {
	r, err := decodeImageUpgrade(b)
	if err != nil {
		return ImageRequest{}, fmt.Errorf("smi decode image upgrade: %w", err)
	}
	return r, nil
}

func decodeImageUpgrade(b []byte) (ImageRequest, error) {
	if err := checkRequest(b, TypeImageUpgrade, imageSize); err != nil {
		return ImageRequest{}, err
	}
	if err := expectWords(b, 16, 2); err != nil {
		return ImageRequest{}, err
	}
	if err := expectZero(b, 24, 8); err != nil {
		return ImageRequest{}, err
	}
	var r ImageRequest
	switch flag := binary.BigEndian.Uint32(b[imageFlagOff:]); flag {
	case imageFlagImmediate:
		if err := expectWords(b, imageNowOff, 1, 0, 0, 0); err != nil {
			return ImageRequest{}, fmt.Errorf("immediate reload: %w", err)
		}
		r.Immediate = true
	case imageFlagTimed:
		if err := expectWords(b, imageNowOff, 0, 1); err != nil {
			return ImageRequest{}, fmt.Errorf("timed reload: %w", err)
		}
		var err error
		if r.Reload, err = readReload(b, imageReloadOff+4); err != nil {
			return ImageRequest{}, err
		}
		if r.Reload.IsZero() {
			return ImageRequest{}, fmt.Errorf("timed reload at 00:00: %w", ErrMalformed)
		}
	default:
		return ImageRequest{}, fmt.Errorf("flag word %#x, want %#x or %#x: %w", flag, imageFlagTimed, imageFlagImmediate, ErrMalformed)
	}
	if err := expectWords(b, 48, 1); err != nil {
		return ImageRequest{}, err
	}
	if b[imageTrailerOff] != 1 {
		return ImageRequest{}, fmt.Errorf("last byte is %#02x, want 0x01: %w", b[imageTrailerOff], ErrMalformed)
	}
	var err error
	if r.ImageListURL, err = readURL(b[imageURLOff:imageTrailerOff], "image list URL", imageURLOff); err != nil {
		return ImageRequest{}, err
	}
	return r, nil
}

// Type 8, run up to three IOS commands, 1048 bytes. fieldcon only ever fills
// the first slot, with `copy system:running-config tftp://<fieldcon>/<name>`;
// the client runs it and uploads its configuration with a TFTP write.
//
//	 0       16                  40                 376                712                1048
//	+-------+-------------------+------------------+------------------+------------------+
//	|header | 24 fixed bytes    | command, 336 B   | command, 336 B   | command, 336 B   |
//	+-------+-------------------+------------------+------------------+------------------+
//
// The 24 fixed bytes are copied verbatim by every public tool from a capture
// of a real director; what they mean is unknown.
const (
	commandsSize    = 1048
	commandsPrefix  = 16
	commandSlotOff  = 40
	commandSlotSize = 336

	backupCommand = "copy system:running-config "
)

// commandsFixed are the 24 bytes at offset 16 of every type-8 message.
const commandsFixed = "\x00\x01\x00\x14\x00\x00\x00\x01\x00\x00\x00\x00" +
	"\xfc\x99\x47\x37\x86\x60\x00\x00\x00\x03\x03\xf4"

// Commands are the three command slots of a type-8 message, as decoded.
// Unused slots are empty. This package only ever sends the backup form; the
// type exists so that a simulated client (and a log) can see what arrived.
type Commands [3]string

// Backup returns the backup request if c is exactly the form EncodeBackup
// writes: the single copy of the running configuration to a TFTP URL.
func (c Commands) Backup() (BackupRequest, error) {
	if c[1] != "" || c[2] != "" {
		return BackupRequest{}, fmt.Errorf("more than one command (%q, %q, %q); fieldcon only sends a single copy: %w", c[0], c[1], c[2], ErrMalformed)
	}
	rest, ok := strings.CutPrefix(c[0], backupCommand)
	if !ok {
		return BackupRequest{}, fmt.Errorf("command %q is not %q followed by a TFTP URL: %w", c[0], backupCommand, ErrMalformed)
	}
	u, err := ParseTFTPURL(rest)
	if err != nil {
		return BackupRequest{}, fmt.Errorf("command %q: %w: %w", c[0], err, ErrMalformed)
	}
	return BackupRequest{URL: u}, nil
}

// DecodeCommands reads the three command slots of a type-8 message.
func DecodeCommands(b []byte) (Commands, error) {
	c, err := decodeCommands(b)
	if err != nil {
		return Commands{}, fmt.Errorf("smi decode commands: %w", err)
	}
	return c, nil
}

func decodeCommands(b []byte) (Commands, error) {
	if err := checkRequest(b, TypeCommands, commandsSize); err != nil {
		return Commands{}, err
	}
	if string(b[commandsPrefix:commandSlotOff]) != commandsFixed {
		return Commands{}, fmt.Errorf("fixed bytes at offset %d are %x, want %x: %w", commandsPrefix, b[commandsPrefix:commandSlotOff], []byte(commandsFixed), ErrMalformed)
	}
	var c Commands
	for i := range c {
		off := commandSlotOff + i*commandSlotSize
		s, err := slotString(b[off:off+commandSlotSize], fmt.Sprintf("command %d", i+1), off)
		if err != nil {
			return Commands{}, err
		}
		c[i] = s
	}
	return c, nil
}

// BackupRequest is a type-8 message with the single command
// `copy system:running-config <URL>`: the client uploads its running
// configuration by TFTP write to URL.
type BackupRequest struct {
	URL TFTPURL
}

// Command returns the IOS command the client will run.
func (r BackupRequest) Command() string { return backupCommand + r.URL.String() }

// Validate reports why the request cannot be sent.
func (r BackupRequest) Validate() error {
	if err := r.URL.Validate(); err != nil {
		return err
	}
	if s := r.Command(); !fits(s, commandSlotSize) {
		return fmt.Errorf("%w: the backup command is %d characters; it holds at most %d, use a shorter file name", ErrURL, len(s), commandSlotSize-1)
	}
	return nil
}

// EncodeBackup returns the 1048-byte type-8 message for r. There is no way to
// put any other command into a type-8 message: commands are built here, never
// taken from the caller.
func EncodeBackup(r BackupRequest) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("smi encode backup: %w", err)
	}
	b := newRequest(sendCommands, commandsSize)
	copy(b[commandsPrefix:], commandsFixed)
	copy(b[commandSlotOff:], r.Command())
	return b, nil
}

// DecodeBackup reads a type-8 message that holds exactly the backup command
// EncodeBackup writes.
func DecodeBackup(b []byte) (BackupRequest, error) {
	c, err := decodeCommands(b)
	if err == nil {
		var r BackupRequest
		if r, err = c.Backup(); err == nil {
			return r, nil
		}
	}
	return BackupRequest{}, fmt.Errorf("smi decode backup: %w", err)
}
