// Package lower turns a verified ir.Kernel into loop IR with tcc's default
// schedule.
//
// The schedule, per statement:
//
//   - cheap elementwise intermediates read at plain, in-range subscripts are
//     inlined into their consumers; every other intermediate gets a scratch buffer;
//   - matrix multiplications recognised by package schedule/gemm are lowered by it;
//   - consecutive statements whose outermost left-side index has the same extent
//     and that read each other only at that index (row-wise) are fused into one
//     Func with one loop over the shared index; intermediates read only inside
//     such a group shrink to a scalar local per row (rank 1) or a buffer of a few
//     row slots (see fuse.go);
//   - every other statement becomes one leaf Func: a loop nest over its left-side
//     indices (outermost first), with each reduction computed by loops over its
//     variables into a local accumulator, hoisted out of the left-side loops it
//     does not depend on;
//   - on vector targets the innermost left-side loop is vectorised when every read
//     along it is contiguous or invariant (with a masked tail via Count), and a
//     reduction computed outside a vector loop is vectorised along its innermost
//     variable when its body allows (vector accumulator, HReduce at the end); a*b+c
//     becomes an FMA when the target has one;
//   - f32 sums and products (also of f16, bf16 and minifloat values) accumulate
//     in f64 and round to f32 once, so that long cancelling reductions meet SPEC
//     section 7 (see wideAcc); vectorised, they load f32 vectors of
//     VectorBits/64 lanes and convert them; max and min stay in f32;
//   - vectorised reductions use four independent vector accumulators in their
//     main loop when their extent may be long;
//   - on the portable target, long reductions use four independent accumulators;
//   - the outermost left-side loop becomes a parallel Step unless the statement's
//     work is statically small or its target is a packed (sub-byte) tensor;
//   - reads that are not provably inside their tensor get a Load Guard;
//   - the full-vector stores of a large kernel output (more than half the
//     target's last-level cache) are marked Stream, so that a backend may use
//     non-temporal stores (see streamCond).
//
// The result always passes loop.Verify.
package lower

import (
	"errors"
	"fmt"
	"go/token"
	"strings"

	"github.com/tensorcc/tcc/ir"
	"github.com/tensorcc/tcc/legalize"
	"github.com/tensorcc/tcc/loop"
	"github.com/tensorcc/tcc/schedule"
)

// errNoVec reports that a construct cannot be vectorised; the caller falls back
// to scalar code. It never escapes the package.
var errNoVec = errors.New("not vectorisable")

// Lower lowers k for target t following plan (nil: DefaultPlan) and
// verifies the result.
func Lower(k *ir.Kernel, t loop.Target, plan *schedule.Plan) (*loop.Kernel, error) {
	l, err := newLowerer(k, t)
	if err != nil {
		return nil, err
	}
	if plan == nil {
		plan = l.defaultPlan()
	}
	if err := l.applyPlan(plan); err != nil {
		return nil, kernelError(k, t, err)
	}
	if err := l.run(); err != nil {
		return nil, kernelError(k, t, err)
	}
	legalize.Run(l.out, legalize.For(t))
	loop.Simplify(l.out)
	for _, f := range l.out.Funcs {
		// The passes below rewrite expressions in place, and the schedule
		// shares expression trees between statements, functions, buffer
		// lengths and step extents: each function gets trees of its own.
		f.Body = loop.CloneStmts(f.Body)
		loop.CSE(f)
		loop.ReduceDivMod(f)
		if t.VectorRegs > 0 && t.VectorBits > 0 {
			loop.HoistInvariants(f, t.VectorRegs)
		}
	}
	if err := loop.Verify(l.out); err != nil {
		return nil, internalError{kernelError(k, t, fmt.Errorf("internal error: invalid loop IR: %w", err))}
	}
	return l.out, nil
}

// newLowerer checks k and t and sets up the lowering of k: its buffers
// for parameters and outputs, sizes, scalars and statement definitions.
func newLowerer(k *ir.Kernel, t loop.Target) (*lowerer, error) {
	if k == nil {
		return nil, errors.New("lower: nil kernel")
	}
	if t.VectorBits < 0 || t.VectorBits%64 != 0 {
		return nil, fmt.Errorf("lower: kernel %s: target %q has unsupported vector width %d", k.Name, t.Name, t.VectorBits)
	}
	l := &lowerer{
		k:       k,
		t:       t,
		out:     &loop.Kernel{Name: k.Name, Source: k},
		bufs:    map[*ir.Tensor]*loop.Buf{},
		sizes:   map[*ir.Size]*loop.Var{},
		scalars: map[*ir.Tensor]*loop.Var{},
		inline:  map[*ir.Tensor]*ir.Stmt{},
		names:   map[string]bool{},
		funcs:   map[*loop.Func]bool{},
	}
	if err := l.setup(); err != nil {
		return nil, kernelError(k, t, err)
	}
	return l, nil
}

// ErrInternal marks an error of Lower that is a bug of tcc, not a property
// of the kernel or the target (the lowering produced invalid loop IR): the
// driver reports it instead of falling back to portable code.
var ErrInternal = errors.New("internal error")

// internalError is an error of Lower that errors.Is reports as ErrInternal.
type internalError struct{ err *ir.Error }

func (e internalError) Error() string   { return e.err.Error() }
func (e internalError) Unwrap() []error { return []error{e.err, ErrInternal} }

// kernelError returns err as an *ir.Error at the position of the statement
// it concerns (the kernel's when it concerns none), naming the kernel and
// the target (SPEC section 8).
func kernelError(k *ir.Kernel, t loop.Target, err error) *ir.Error {
	pos, msg := k.Pos, err.Error()
	var pe *ir.Error
	if errors.As(err, &pe) {
		pos, msg = pe.Pos, pe.Msg
	}
	return ir.Errorf(pos, "kernel %s: cannot lower it for target %s: %s", k.Name, t.Name, msg)
}

// stmtError returns err as an *ir.Error at statement s.
func stmtError(s *ir.Stmt, err error) error {
	var pe *ir.Error
	if errors.As(err, &pe) {
		return err
	}
	return ir.Errorf(s.Pos, "statement defining %s: %v", s.Target.Name, err)
}

type lowerer struct {
	k       *ir.Kernel
	t       loop.Target
	plan    *schedule.Plan
	out     *loop.Kernel
	bufs    map[*ir.Tensor]*loop.Buf
	sizes   map[*ir.Size]*loop.Var
	scalars map[*ir.Tensor]*loop.Var
	inline  map[*ir.Tensor]*ir.Stmt // inlined intermediates and their statements
	defs    map[*ir.Tensor]*ir.Stmt // defining statement of each tensor
	names   map[string]bool         // kernel-level names (buffers, sizes, scalars, funcs)
	funcs   map[*loop.Func]bool
	eq      dimClasses
}

// setup makes the variables of sizes and scalars and the buffers of
// parameters and outputs, and indexes the statements.
func (l *lowerer) setup() error {
	k := l.k
	l.eq = newDimClasses(k.Checks)
	for _, s := range k.Sizes {
		if s == nil {
			return errors.New("nil size")
		}
		v := &loop.Var{Name: l.kernelName(s.Name), T: loop.Int64}
		l.sizes[s] = v
		l.out.Sizes = append(l.out.Sizes, v)
	}
	for _, p := range k.Params {
		if p == nil {
			return errors.New("nil parameter")
		}
		if p.Kind == ir.Scalar {
			v := &loop.Var{Name: l.kernelName(p.Name), T: loop.Scalar(p.Type)}
			l.scalars[p] = v
			l.out.Scalars = append(l.out.Scalars, v)
			continue
		}
		b, err := l.newBuf(p, loop.InputBuf)
		if err != nil {
			return err
		}
		l.out.Inputs = append(l.out.Inputs, b)
	}
	for _, o := range k.Outputs {
		if o == nil {
			return errors.New("nil output")
		}
		b, err := l.newBuf(o, loop.OutputBuf)
		if err != nil {
			return err
		}
		l.out.Outputs = append(l.out.Outputs, b)
	}
	l.defs = map[*ir.Tensor]*ir.Stmt{}
	for _, s := range k.Stmts {
		if s == nil || s.Target == nil || s.Value == nil || len(s.Index) != len(s.Target.Dims) {
			return errors.New("malformed statement")
		}
		l.defs[s.Target] = s
	}
	return nil
}

// run lowers the kernel's statements by the plan's units.
func (l *lowerer) run() error {
	k := l.k
	fu := l.planFusion()
	scalarLocal := map[*ir.Tensor]bool{}
	slotUnit := map[*ir.Tensor]int{}
	for u := range fu.units {
		for _, t := range fu.localsOf[u] {
			scalarLocal[t] = true
		}
		for _, t := range fu.slotted[u] {
			slotUnit[t] = u
		}
	}
	for _, t := range k.Temps {
		if _, ok := l.inline[t]; ok || scalarLocal[t] {
			continue
		}
		b, err := l.newBuf(t, loop.ScratchBuf)
		if err != nil {
			return err
		}
		// An intermediate's one statement writes every element before any
		// statement after it reads one (a masked element is written as its
		// zero), so its scratch need not be cleared on every call. Tests run
		// the generated code with TCC_POISON_SCRATCH=1, which fills it with
		// NaNs instead.
		b.Uncleared = true
		if u, ok := slotUnit[t]; ok {
			// A row-local intermediate: a few row slots instead of every row.
			row, err := l.rowElems(t)
			if err != nil {
				return err
			}
			n, err := l.slotCount(fu, u)
			if err != nil {
				return err
			}
			b.Len = loop.Mul(n, row)
		}
		l.out.Scratch = append(l.out.Scratch, b)
	}
	for u, idx := range fu.units {
		var steps []*loop.Step
		if len(idx) > 1 {
			step, err := l.lowerGroup(fu, u)
			if err != nil {
				return err
			}
			steps = []*loop.Step{step}
		} else {
			i := idx[0]
			s := k.Stmts[i]
			if l.bufs[s.Target] == nil {
				return stmtError(s, errors.New("no buffer for the statement's target"))
			}
			var err error
			steps, err = l.gemmStmt(s, i)
			if err != nil {
				return err
			}
			if steps == nil {
				step, err := l.lowerStmt(s, fmt.Sprintf("s%d", i), l.unitOf(i))
				if err != nil {
					return stmtError(s, err)
				}
				steps = []*loop.Step{step}
			}
		}
		for _, st := range steps {
			if st == nil || st.Func == nil {
				return fmt.Errorf("unit %d: schedule returned an empty step", u)
			}
			st.PlanUnit = u + 1
			if !l.funcs[st.Func] {
				l.funcs[st.Func] = true
				l.out.Funcs = append(l.out.Funcs, st.Func)
			}
			l.out.Steps = append(l.out.Steps, st)
		}
	}
	return nil
}

// kernelName reserves a kernel-level name derived from base.
func (l *lowerer) kernelName(base string) string {
	name := sanitize(base)
	for i := 2; l.names[name]; i++ {
		name = fmt.Sprintf("%s_%d", sanitize(base), i)
	}
	l.names[name] = true
	return name
}

// sanitize makes base usable as an identifier in every backend.
func sanitize(base string) string {
	if base == "" {
		return "v"
	}
	if token.IsKeyword(base) || strings.HasPrefix(base, "tcc") {
		return base + "_"
	}
	return base
}

func (l *lowerer) newBuf(t *ir.Tensor, kind loop.BufKind) (*loop.Buf, error) {
	if !t.Type.IsValid() || t.Type.Class == ir.Bool {
		return nil, fmt.Errorf("tensor %s has invalid type %v", t.Name, t.Type)
	}
	b := &loop.Buf{Name: l.kernelName(t.Name), Elem: t.Type, Kind: kind, Tensor: t}
	var n loop.Expr = loop.I64(1)
	for _, d := range t.Dims {
		de, err := l.dimExpr(d)
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", t.Name, err)
		}
		n = loop.Mul(n, de)
	}
	b.Len = n
	l.bufs[t] = b
	return b, nil
}

// dimExpr returns d's value as an Int64 expression over size variables.
func (l *lowerer) dimExpr(d ir.Dim) (loop.Expr, error) {
	if d.Size == nil {
		return loop.I64(int64(d.Const)), nil
	}
	v := l.sizes[d.Size]
	if v == nil {
		return nil, fmt.Errorf("unknown size %s", d.Size.Name)
	}
	if d.Mul < 1 || d.Div < 1 {
		return nil, fmt.Errorf("dimension %s has a non-positive factor", d)
	}
	return loop.Div(loop.Mul(loop.R(v), loop.I64(int64(d.Mul))), loop.I64(int64(d.Div))), nil
}

// dimClasses groups dimensions that are equal symbolically or by an ir.Agree
// check (which the generated wrapper enforces before any Step runs).
type dimClasses struct {
	parent map[string]string
}

func dimKey(d ir.Dim) string {
	if d.Size == nil {
		return fmt.Sprintf("c%d", d.Const)
	}
	// Normalise s*m/d by the gcd so that equal rationals share a key.
	m, q := d.Mul, d.Div
	g := gcd(m, q)
	if g > 0 {
		m, q = m/g, q/g
	}
	return fmt.Sprintf("s%p*%d/%d", d.Size, m, q)
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	if a < 0 {
		return -a
	}
	return a
}

func newDimClasses(checks []ir.Agree) dimClasses {
	c := dimClasses{parent: map[string]string{}}
	for _, a := range checks {
		c.union(dimKey(a.A), dimKey(a.B))
	}
	return c
}

func (c dimClasses) find(k string) string {
	for {
		p, ok := c.parent[k]
		if !ok || p == k {
			return k
		}
		k = p
	}
}

func (c dimClasses) union(a, b string) {
	ra, rb := c.find(a), c.find(b)
	if ra != rb {
		c.parent[ra] = rb
	}
}

// same reports whether a and b are known to be equal at run time.
func (c dimClasses) same(a, b ir.Dim) bool {
	return a.Equal(b) || c.find(dimKey(a)) == c.find(dimKey(b))
}

// constValue reports d's value when it is a compile-time constant.
func constValue(d ir.Dim) (int64, bool) {
	if d.Size == nil {
		return int64(d.Const), true
	}
	return 0, false
}
