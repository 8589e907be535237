package recovery

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ids(ds []Diagnosis) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Symptom.ID)
	}
	return out
}

func TestDiagnoseTranscripts(t *testing.T) {
	tests := []struct {
		name string
		file string // in testdata, device output taken from the seeds
		want []string
	}{
		{"lightweight AP wrong platform", "lap-failurecode3.txt", []string{"capwap-downloading", "not-valid-archive", "failure-code-3"}},
		{"lightweight AP archive hidden then busy", "lap-archive-hidden.txt", []string{"archive-hidden-on-lap", "update-dir-busy", "update-dir-busy"}},
		{"aironet MODE recovery file missing", "ap-recovery-missing.txt", []string{"archive-open-failed", "archive-open-failed", "unable-to-boot", "update-info-missing", "not-valid-archive", "unable-to-boot"}},
		{"bin given to archive download-sw", "autoinstall-bin.txt", []string{"tar-checksum", "update-info-missing", "not-valid-archive", "not-valid-archive"}},
		{"truncated tar", "ap-premature-end.txt", []string{"premature-end-of-tar", "not-valid-archive"}},
		{"stack version mismatch", "stack-mismatch.txt", []string{"stack-version-mismatch"}},
		{"catalyst loader", "catalyst-unbootable.txt", []string{"error-loading-image", "unable-to-boot", "xmodem-io-error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(Diagnose(string(b)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Diagnose(%s) symptoms (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestUnrecognizedCommandNeedsArchiveBefore(t *testing.T) {
	if got := ids(Diagnose("AP#show foo\n% Unrecognized command\n")); len(got) != 0 {
		t.Errorf("Diagnose(unrelated unrecognized command) = %v, want none", got)
	}
	if got := ids(Diagnose("AP#archive download-sw tftp://10.0.0.2/x.tar\n% Unrecognized command\n")); !cmp.Equal(got, []string{"archive-hidden-on-lap"}) {
		t.Errorf("Diagnose(archive then unrecognized) = %v, want [archive-hidden-on-lap]", got)
	}
}

func TestDoctorSplitsAcrossChunksAndCleansLines(t *testing.T) {
	var got []Diagnosis
	d := NewDoctor(func(x Diagnosis) { got = append(got, x) })
	msg := "\x1b[7m%Tar che\x00cksum error in tftp://10.0.0.2/x.bin\x1b[0m\r\n"
	for i := 0; i < len(msg); i++ {
		d.Feed([]byte{msg[i]})
	}
	if len(got) != 1 || got[0].Symptom.ID != "tar-checksum" {
		t.Fatalf("byte-by-byte feed found %v, want one tar-checksum", ids(got))
	}
	if want := "%Tar checksum error in tftp://10.0.0.2/x.bin"; got[0].Line != want {
		t.Errorf("Diagnosis.Line = %q, want %q", got[0].Line, want)
	}
}

func TestDoctorStaysBounded(t *testing.T) {
	d := NewDoctor(nil)
	junk := bytes.Repeat([]byte("x"), 1<<20)
	for i := 0; i < 8; i++ {
		d.Feed(junk)
	}
	if len(d.partial) > doctorMaxLine || cap(d.partial) > 2*doctorMaxLine {
		t.Errorf("partial line grew to len %d cap %d, want at most %d", len(d.partial), cap(d.partial), doctorMaxLine)
	}
}

func TestEverySymptomIsDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Symptoms() {
		if s.ID == "" || s.Title == "" || s.Cause == "" || s.Fix == "" || s.Source == "" || s.Match == nil {
			t.Errorf("symptom %q lacks a field", s.ID)
		}
		if seen[s.ID] {
			t.Errorf("symptom %q listed twice", s.ID)
		}
		seen[s.ID] = true
		if strings.Count(s.Fix, ". ") > 0 {
			t.Errorf("symptom %q: fix should be one sentence: %q", s.ID, s.Fix)
		}
	}
}

func FuzzDoctor(f *testing.F) {
	for _, s := range []string{
		"%Tar checksum error in tftp://x\r\n",
		"archive\n% Unrecognized command\n",
		"\x1b[1;2H\b\b\x00Premature end of tar file",
		strings.Repeat("a", 5000) + "\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDoctor(func(x Diagnosis) {
			if x.Symptom == nil || !x.Symptom.Match.MatchString(x.Line) {
				t.Fatalf("diagnosis %+v does not match its own line", x)
			}
		})
		d.Feed(b)
		d.Feed([]byte("\n"))
		if len(d.partial) > doctorMaxLine || len(d.recent) > doctorRecent {
			t.Fatalf("doctor state unbounded: partial %d recent %d", len(d.partial), len(d.recent))
		}
	})
}

func TestDiagnoseSingleLines(t *testing.T) {
	tests := []struct{ line, want string }{
		{"%Error opening tftp://255.255.255.255/c1140-k9w7-tar.default (Timed out)", "tftp-broadcast-unanswered"},
		{"Error_Bad_Mzip", "bad-mzip"},
		{"The password-recovery mechanism has been triggered, but is currently disabled.", "password-recovery-disabled"},
		{"Download image failed, notify controller!!! From: 15.3(3)JA1 to 15.3(3)JG1, FailureCode: 7", "update-dir-busy"},
	}
	for _, tt := range tests {
		got := ids(Diagnose(tt.line))
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("Diagnose(%q) = %v, want [%s]", tt.line, got, tt.want)
		}
	}
}
