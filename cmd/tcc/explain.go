package main

import (
	"fmt"
	"io"

	"github.com/tensorcc/tcc/backend"
	"github.com/tensorcc/tcc/backend/golang"
	"github.com/tensorcc/tcc/driver"
	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/lower"
	"github.com/tensorcc/tcc/passes"
)

// explainLevels are the levels whose plan and loop IR explain prints: the
// portable one, then each native backend's, best first (as the driver
// generates them: a level that only adds features is shown when the code
// lowered for it uses them).
func explainLevels() []backend.Level {
	levels := golang.Backend{}.Levels()
	for _, name := range []string{"amd64"} {
		levels = append(levels, driver.Backends()[name].Levels()...)
	}
	return levels
}

func runExplain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("explain", "FILE -k KERNEL [-plan FILE.json]\n\nExplain prints the kernel's tensor-level IR as the front end produced it and\nafter each pass, then for each target the schedule (the plan, as text and as\nthe JSON that -plan reads) and the loop-level IR it gives.", stderr)
	kname := fs.String("k", "", "`kernel` to explain (required)")
	planFile := fs.String("plan", "", "schedule `file` (JSON, as explain prints it) to apply instead of the default plan")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usagef("want exactly one FILE")
	}
	if *kname == "" {
		return usagef("-k KERNEL is required")
	}
	k, err := kernelOf(files[0], *kname, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "== front end\n%s\n", k)
	err = passes.Run(k, passes.Default(), func(name string, k *ir.Kernel) {
		fmt.Fprintf(stdout, "== after pass %s\n%s\n", name, k)
	})
	if err != nil {
		return err
	}
	plans, err := readPlans(*planFile)
	if err != nil {
		return err
	}
	levels := explainLevels()
	for i, lv := range levels {
		t := lv.Target
		plan := plans.Find(k.Name, t.Name)
		if plan == nil && len(lv.Adds) > 0 && i+1 < len(levels) {
			plan = plans.Find(k.Name, levels[i+1].Target.Name) // as the driver does
		}
		if plan == nil {
			if plan, err = lower.DefaultPlan(k, t); err != nil {
				return reportPositioned(err, stderr)
			}
		}
		lk, err := lower.Lower(k, t, plan)
		if err != nil {
			return reportPositioned(err, stderr)
		}
		if len(lv.Adds) > 0 && !loop.UsesAny(lk, lv.Adds) {
			continue // the next level's code serves it
		}
		js, err := plan.JSON()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "== plan for %s\n%s%s\n\n", t.Name, plan, js)
		fmt.Fprintf(stdout, "== loop IR for %s\n%s\n", t.Name, lk)
	}
	return nil
}
