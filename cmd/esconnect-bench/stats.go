package main

import (
	"fmt"
	"slices"
	"time"
)

// spread is a set of measurements summarised as a median and its range.
type spread []float64

func (s spread) sorted() []float64 {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// median of the values; 0 for none.
func (s spread) median() float64 {
	c := s.sorted()
	switch n := len(c); {
	case n == 0:
		return 0
	case n%2 == 1:
		return c[n/2]
	default:
		return (c[n/2-1] + c[n/2]) / 2
	}
}

func (s spread) min() float64 { return slices.Min(s) }
func (s spread) max() float64 { return slices.Max(s) }

// ratio formats a spread of ratios: median (min-max).
func (s spread) ratio() string {
	if len(s) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx (%.2f-%.2f)", s.median(), s.min(), s.max())
}

// durations formats a spread of seconds as milliseconds: median (min-max).
func (s spread) durations() string {
	if len(s) == 0 {
		return "-"
	}
	return fmt.Sprintf("%s (%s-%s)", ms(s.median()), ms(s.min()), ms(s.max()))
}

func ms(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// pairRatios divides each of num by the den measured next to it: with runs
// alternating A B A B, a burst of load on the machine hits both sides of a
// pair, so the ratios vary less than the times.
func pairRatios(num, den spread) spread {
	n := min(len(num), len(den))
	out := make(spread, 0, n)
	for i := range n {
		if den[i] > 0 {
			out = append(out, num[i]/den[i])
		}
	}
	return out
}

// mib formats bytes as MiB.
func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
