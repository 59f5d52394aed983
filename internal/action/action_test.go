package action

import "testing"

func TestClassesOrderBySeverity(t *testing.T) {
	for i := 1; i < len(Classes); i++ {
		if Max(Classes[i-1], Classes[i]) != Classes[i] || Max(Classes[i], Classes[i-1]) != Classes[i] {
			t.Errorf("%s should outrank %s", Classes[i], Classes[i-1])
		}
	}
	if Class("made-up").Severity() != ClassUnknown.Severity() {
		t.Error("an unrecognised class must count as unknown")
	}
}

func TestAddReasonRaisesNeverLowers(t *testing.T) {
	a := Action{Class: ClassRead}
	a.AddReason(Reason{ID: "x.destroy", Class: ClassDestructive})
	a.AddReason(Reason{ID: "x.read", Class: ClassRead})
	if a.Class != ClassDestructive || len(a.ReasonIDs()) != 2 || a.ReasonIDs()[0] != "x.destroy" {
		t.Fatalf("%+v", a)
	}
}

func TestParsers(t *testing.T) {
	if _, err := ParseKind("sql"); err != nil {
		t.Error(err)
	}
	if _, err := ParseKind("SQL"); err == nil {
		t.Error("kinds are lowercase")
	}
	if _, err := ParseClass("credential_access"); err != nil {
		t.Error(err)
	}
	if _, err := ParseVerdict("maybe"); err == nil {
		t.Error("maybe accepted")
	}
	if !Deny.Stricter(Approve) || !Approve.Stricter(Allow) || Allow.Stricter(Deny) {
		t.Error("verdict order")
	}
}
