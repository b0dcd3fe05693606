package runner

import (
	"slices"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/results"
)

// expand makes the cells: sweep points (outer) by strategies (inner). A point
// of a sweep by sets runs the strategies its own config lists, so a phase can
// leave out a target that does not apply to it.
func expand(c *config.Config) ([]*cell, error) {
	points, err := c.Points()
	if err != nil {
		return nil, err
	}
	var cells []*cell
	for _, p := range points {
		for _, s := range p.Config.Strategies {
			cells = append(cells, &cell{cfg: p.Config, strategy: s,
				res: &results.Cell{Strategy: s, Target: targetKind(s), Params: p.Params}})
		}
	}
	return cells, nil
}

// allStrategies lists every strategy and target any cell of c runs.
func allStrategies(c *config.Config) []string {
	all := slices.Clone(c.Strategies)
	points, err := c.Points()
	if err != nil {
		return all
	}
	for _, p := range points {
		for _, s := range p.Config.Strategies {
			if !slices.Contains(all, s) {
				all = append(all, s)
			}
		}
	}
	return all
}
