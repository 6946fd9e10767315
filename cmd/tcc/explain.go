package main

import (
	"fmt"
	"io"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/lower"
	"github.com/tensorcc/tcc/passes"
)

// explainTargets are the targets whose loop IR explain prints.
var explainTargets = []loop.Target{loop.TargetGo, loop.TargetAVX2, loop.TargetAVX512}

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
	for _, t := range explainTargets {
		plan := plans.Find(k.Name, t.Name)
		if plan == nil {
			if plan, err = lower.DefaultPlan(k, t); err != nil {
				return reportPositioned(err, stderr)
			}
		}
		js, err := plan.JSON()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "== plan for %s\n%s%s\n\n", t.Name, plan, js)
		lk, err := lower.Lower(k, t, plan)
		if err != nil {
			return reportPositioned(err, stderr)
		}
		fmt.Fprintf(stdout, "== loop IR for %s\n%s\n", t.Name, lk)
	}
	return nil
}
