package recovery

import (
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiagnoseRouterAndStackTranscript(t *testing.T) {
	b, err := os.ReadFile("testdata/rommon-failures.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rommon-variable-case", "tftp-file-not-found", "console-speed-changed", "stack-auto-copy-failed"}
	if diff := cmp.Diff(want, ids(Diagnose(string(b)))); diff != "" {
		t.Errorf("Diagnose(rommon-failures.txt) (-want +got):\n%s", diff)
	}
	for _, id := range append(want, "rommon-tftp-block-limit") {
		s := symptomByID(id)
		if s == nil || s.Source == "" || s.Fix == "" {
			t.Errorf("symptom %s missing or without source and fix: %+v", id, s)
		}
	}
	if got := ids(Diagnose("Tftpd32: TIMEOUT waiting for Ack block #65536\n")); !cmp.Equal(got, []string{"rommon-tftp-block-limit"}) {
		t.Errorf("Diagnose(Tftpd32 block 65536 timeout) = %v, want [rommon-tftp-block-limit]", got)
	}
	if got := ids(Diagnose("console baud: 9600\n")); len(got) != 0 {
		t.Errorf("Diagnose(console baud: 9600) = %v, want nothing", got)
	}
}
