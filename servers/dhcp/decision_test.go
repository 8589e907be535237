package dhcp

import (
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

func TestWithDecisionSeesAndChangesReplies(t *testing.T) {
	var seen []dhcpv4.MessageType
	addBootfile := func(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) {
		seen = append(seen, resp.MessageType())
		resp.UpdateOption(dhcpv4.OptBootFileName("switch-confg"))
		return resp, false
	}
	srv, err := New(testConfig(), WithDecision(addBootfile))
	if err != nil {
		t.Fatal(err)
	}
	offer := srv.Handle(discover(t, mac(1), ciscoPRL()))
	if offer == nil || offer.BootFileNameOption() != "switch-confg" {
		t.Fatalf("Handle(DISCOVER) = %v, want an OFFER with the decision's option 67", offer)
	}
	if len(seen) != 1 || seen[0] != dhcpv4.MessageTypeOffer {
		t.Errorf("decision saw %v, want one OFFER", seen)
	}

	drop := func(req, resp *dhcpv4.DHCPv4) (*dhcpv4.DHCPv4, bool) { return nil, true }
	srv, err = New(testConfig(), WithDecision(drop))
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Handle(discover(t, mac(2), ciscoPRL())); got != nil {
		t.Errorf("Handle(DISCOVER) with a dropping decision = %v, want no answer", got)
	}
}
