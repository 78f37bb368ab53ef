package fence

import "testing"

func TestNewer(t *testing.T) {
	cases := []struct {
		name string
		a, b Lease
		want bool
	}{
		{"higher generation wins", Lease{Generation: 2}, Lease{Generation: 1, RestoredAt: 99}, true},
		{"lower generation loses", Lease{Generation: 0, RestoredAt: 99}, Lease{Generation: 1}, false},
		{"same generation: later restore wins", Lease{Generation: 1, RestoredAt: 20}, Lease{Generation: 1, RestoredAt: 10}, true},
		{"same generation, same time: the incarnation breaks the tie", Lease{Generation: 1, RestoredAt: 10, Incarnation: "b"}, Lease{Generation: 1, RestoredAt: 10, Incarnation: "a"}, true},
		{"itself is not newer", Lease{Generation: 1, Incarnation: "a"}, Lease{Generation: 1, Incarnation: "a"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.a.newer(c.b); got != c.want {
				t.Fatalf("newer = %v, want %v", got, c.want)
			}
		})
	}
}

func TestIncarnationHidesTheToken(t *testing.T) {
	const token = "secret-token"
	inc := Incarnation(token)
	if len(inc) != 16 || inc == Incarnation("other") {
		t.Fatalf("incarnation %q", inc)
	}
	for i := 0; i+4 <= len(token); i++ {
		if contains(inc, token[i:i+4]) {
			t.Fatalf("incarnation %q shows part of the token", inc)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
