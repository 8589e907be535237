package director

import (
	"fmt"

	"fieldcon/servers"
)

// Director events carry the IOS mnemonic as their Kind and the IOS message
// text as their Detail, so one parser reads fieldcon's log and a switch's.
const (
	KindSwitchAdd          servers.Kind = "SMI-6-SWITCH_ADD"
	KindSwitchRemove       servers.Kind = "SMI-6-SWITCH_REMOVE"
	KindSwitchReplace      servers.Kind = "SMI-6-SWITCH_REPLACE"
	KindUpgradeStarted     servers.Kind = "SMI-6-UPGRD_STARTED"
	KindUpgradeSuccess     servers.Kind = "SMI-6-UPGRD_SUCCESS"
	KindUpgradeFailed      servers.Kind = "SMI-3-UPGRD_FAILED"
	KindImageListFailed    servers.Kind = "SMI-3-IMAGELIST_FAILED"
	KindNotConfigured      servers.Kind = "SMI-3-IMG_CFG_NOT_CONFIGURED"
	KindIncorrectConfig    servers.Kind = "SMI-6-INCORRECT_CFG"
	KindJoinWindow         servers.Kind = "SMI-6-SMI_JOIN_WINDOW_MESSAGE"
	KindDirector           servers.Kind = "SMI-5-DIRECTOR"
	KindBackupSuccess      servers.Kind = "SMI-6-SMI_DIRECTOR_BACKUP_SUCCESS"
	KindBackupFailure      servers.Kind = "SMI-3-SMI_DIRECTOR_BACKUP_FAILURE"
	KindClientBackupOK     servers.Kind = "SMI-6-SMI_CLIENT_BACKUP_SUCCESS"
	KindClientBackupFailed servers.Kind = "SMI-3-SMI_CLIENT_BACKUP_FAILURE"
	KindAutoinstall        servers.Kind = "SMI-6-AUTOINSTALL"
	KindClientConnFailed   servers.Kind = "SMI-6-CLIENT_CONN_FAILED"
	KindAddressAssign      servers.Kind = "DHCP-6-ADDRESS_ASSIGN"
	// KindHold: a client went on the hold list (no IOS message exists).
	KindHold servers.Kind = "hold"
	// KindPlainLease: a client got a lease without Smart Install options,
	// with the reason.
	KindPlainLease servers.Kind = "plain-lease"
	// KindProfiles: an edited profile file took effect (no IOS message
	// exists).
	KindProfiles servers.Kind = "profiles"
	// KindIgnored: a DHCP or TFTP request arrived while the director was
	// disabled and got no answer; Subject is "dhcp" or "tftp".
	KindIgnored servers.Kind = "ignored"
)

func ev(kind servers.Kind, peer, subject, format string, args ...any) servers.Event {
	return servers.Event{Server: "director", Kind: kind, Peer: peer, Subject: subject, Detail: fmt.Sprintf(format, args...)}
}

func evSwitchAdd(mac MAC) servers.Event {
	return ev(KindSwitchAdd, string(mac), string(mac), "New Device detected by Director with mac address: %s", mac)
}

func evSwitchRemove(mac MAC) servers.Event {
	return ev(KindSwitchRemove, string(mac), string(mac), "Device %s removed from the Director Database", mac)
}

func evSwitchReplace(old, new MAC) servers.Event {
	return ev(KindSwitchReplace, string(new), string(old), "Device %s is being replaced by %s Device", old, new)
}

func evUpgrade(kind servers.Kind, ip, what string) servers.Event {
	switch kind {
	case KindUpgradeStarted:
		return ev(kind, ip, what, "Device (IP address: %s) %s upgrade has started", ip, what)
	case KindUpgradeSuccess:
		return ev(kind, ip, what, "Device (IP address: %s) %s has upgraded successfully", ip, what)
	}
	return ev(kind, ip, what, "Device (IP address: %s) %s upgrade failed", ip, what)
}
