package amd64

import (
	"fmt"

	"github.com/mmcloughlin/avo/attr"
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/gotypes"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/pass"
	"github.com/mmcloughlin/avo/reg"

	"github.com/tensorcc/tcc/loop"
)

// DebugLive reports the instruction with the most live registers of kind k.
func DebugLive(k *loop.Kernel, f *loop.Func, t loop.Target, kind reg.Kind) string {
	name := FuncName(k, f, t)
	g := &gen{c: build.NewContext(), k: k, f: f, name: name, avx512: t.Name == "avx512",
		params: map[*loop.Var]string{}, bufs: map[*loop.Buf]string{}, vars: map[*loop.Var]reg.Register{},
		hoisted: map[*loop.Buf]reg.Register{}, offs: map[*loop.Var]int64{}, cache: map[string]cached{}, consts: map[string]operand.Mem{}, keys: map[loop.Expr]*exprInfo{}}
	g.c.Function(name)
	g.c.Attributes(attr.NOSPLIT)
	sig, _ := gotypes.ParseSignature(g.signature())
	g.c.Signature(sig)
	g.stmts(f.Body)
	g.c.RET()
	file, err := g.c.Result()
	if err != nil {
		return err.Error()
	}
	p := pass.Concat(pass.Verify, pass.FunctionPass(pass.PruneJumpToFollowingLabel), pass.FunctionPass(pass.PruneDanglingLabels),
		pass.FunctionPass(pass.LabelTarget), pass.FunctionPass(pass.CFG), pass.InstructionPass(pass.ZeroExtend32BitOutputs), pass.FunctionPass(pass.Liveness))
	if err := p.Execute(file); err != nil {
		return err.Error()
	}
	best, bi := 0, 0
	ins := file.Functions()[0].Instructions()
	for i, in := range ins {
		if n := len(in.LiveOut.OfKind(kind)); n > best {
			best, bi = n, i
		}
	}
	s := fmt.Sprintf("max live %d at instruction %d of %d\n", best, bi, len(ins))
	for i := bi - 8; i <= bi+2 && i < len(ins); i++ {
		if i >= 0 {
			s += fmt.Sprintf("%d: %s %v\n", i, ins[i].Opcode, ins[i].Operands)
		}
	}
	for r := range ins[bi].LiveOut.OfKind(kind) {
		s += fmt.Sprintf("%v ", r)
	}
	return s
}
