package ktrace

import (
	"cmp"
	"slices"
	"strings"

	"github.com/rwbench/rwbench/results"
)

// lockStats attributes each wait (attribute) and sums them per lock, site and
// mode into the results file's rows: Contended and WaitNs, and WaitHist in the
// model's log2 buckets. Acquisitions (and so HoldNs and HoldHist) stay 0: the
// kernel traces only the acquisitions that wait, not the others.
//
// A wait attributed to two classes at once ("i_rwsem|invalidate_lock": see
// lockIOOrInval) takes the one of them that other waits on the same lock
// address were attributed to.
func lockStats(waits []*wait) []results.LockStat {
	rs := rules()
	as := make([]attribution, len(waits))
	classOf := map[string]string{} // lock address -> i_rwsem or invalidate_lock
	for i, w := range waits {
		as[i] = attribute(w.frames, w.flags, rs)
		if l := as[i].lock; l == lockIRwsem || l == lockInval {
			if _, ok := classOf[w.addr]; !ok {
				classOf[w.addr] = l
			}
		}
	}
	rows := map[attribution]*results.LockStat{}
	for i, w := range waits {
		a := as[i]
		if l, ok := classOf[w.addr]; ok && strings.Contains(a.lock, "|") && slices.Contains(strings.Split(a.lock, "|"), l) {
			a.lock = l
		}
		row := rows[a]
		if row == nil {
			row = &results.LockStat{Lock: a.lock, Site: a.site, Mode: a.mode}
			rows[a] = row
		}
		d := w.endNs - w.beginNs
		row.Contended++
		row.WaitNs += d
		b := results.HistBucket(d)
		for len(row.WaitHist) <= b {
			row.WaitHist = append(row.WaitHist, 0)
		}
		row.WaitHist[b]++
	}
	out := make([]results.LockStat, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b results.LockStat) int {
		return cmp.Or(cmp.Compare(a.Lock, b.Lock), cmp.Compare(a.Site, b.Site), cmp.Compare(a.Mode, b.Mode))
	})
	return out
}
