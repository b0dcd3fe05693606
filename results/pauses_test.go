package results

import (
	"reflect"
	"testing"
)

func TestPausesOf(t *testing.T) {
	hundred := make([]int64, 100)
	for i := range hundred {
		hundred[i] = int64(100 - i)
	}
	for _, c := range []struct {
		in   []int64
		want *Pauses
	}{
		{nil, nil},
		{[]int64{5}, &Pauses{Count: 1, TotalNs: 5, P99Ns: 5, MaxNs: 5}},
		{[]int64{8, 4, 12}, &Pauses{Count: 3, TotalNs: 24, P99Ns: 12, MaxNs: 12}},
		{hundred, &Pauses{Count: 100, TotalNs: 5050, P99Ns: 99, MaxNs: 100}},
	} {
		if got := PausesOf(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("PausesOf = %+v, want %+v", got, c.want)
		}
	}
}
