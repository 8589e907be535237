package recovery_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"fieldcon/recovery"
)

func TestParseShowSwitch(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []recovery.StackMember
	}{
		{
			name: "3750 with a member in Version Mismatch (seed 000)",
			in: "Switch#  Role      Mac Address     Priority     State\r\n" +
				"--------------------------------------------------------\r\n" +
				"*1       Master    0015.63f6.b700     5         Ready\r\n" +
				"2       Member    0015.c6c1.3000     2         Ready\r\n" +
				"3       Member    000f.f794.3d00     5   Version Mismatch\r\n",
			want: []recovery.StackMember{
				{Number: 1, Master: true, Role: "Master", MAC: "0015.63f6.b700", Priority: 5, State: "Ready"},
				{Number: 2, Role: "Member", MAC: "0015.c6c1.3000", Priority: 2, State: "Ready"},
				{Number: 3, Role: "Member", MAC: "000f.f794.3d00", Priority: 5, State: "Version Mismatch"},
			},
		},
		{
			name: "H/W version column",
			in: "                                               H/W   Current\r\n" +
				"Switch#  Role   Mac Address     Priority Version  State \r\n" +
				"------------------------------------------------------------\r\n" +
				"*1       Master 0022.0d2a.3f00     15     0       Ready               \r\n" +
				" 2       Member 0022.0d2a.4a80     1      0       Version Mismatch    \r\n",
			want: []recovery.StackMember{
				{Number: 1, Master: true, Role: "Master", MAC: "0022.0d2a.3f00", Priority: 15, State: "Ready"},
				{Number: 2, Role: "Member", MAC: "0022.0d2a.4a80", Priority: 1, State: "Version Mismatch"},
			},
		},
		{name: "not a stack", in: "% Invalid input detected at '^' marker.\r\n", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, recovery.ParseShowSwitch(tt.in)); diff != "" {
				t.Errorf("ParseShowSwitch() (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseShowSwitch(f *testing.F) {
	f.Add("*1       Master    0015.63f6.b700     5         Ready\r\n3       Member    000f.f794.3d00     5   Version Mismatch\r\n")
	f.Add(" 2       Member 0022.0d2a.4a80     1      0       Version Mismatch    \r\n")
	f.Fuzz(func(t *testing.T, in string) {
		for _, m := range recovery.ParseShowSwitch(in) {
			if m.Number < 0 || m.State == "" || len(m.MAC) != 14 {
				t.Errorf("ParseShowSwitch(%q) gave an impossible member %+v", in, m)
			}
		}
	})
}
