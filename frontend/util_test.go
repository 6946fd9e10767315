package frontend

import "github.com/tensorcc/tcc/ir"

func posOf(file string, line, col int) ir.Pos { return ir.Pos{File: file, Line: line, Col: col} }
