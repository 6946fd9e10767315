package tests

// sz is one set of size values for a conformance file.
type sz map[string]int

// confCase lists, for one file of testdata/conformance, the size sets every
// kernel of the file is run with (each set names every size symbol of every
// kernel in the file), and how inputs are drawn.
type confCase struct {
	file  string
	sizes []sz
	// positive draws float inputs from [0, 1) instead of [-1, 1): used where
	// a sub-f32 output of a long sum must not cancel to nearly zero (one ulp
	// of a tiny exact value is tighter than any f32 accumulation).
	positive bool
	// specials places NaN, +inf and -inf among the float inputs (see
	// addSpecials): at the first element, the last one (a vector tail) or a
	// random one, by size set.
	specials bool
}

// conformance is the suite's table. Sizes include small odd values, 0 and
// 1, and for matmuls values large enough to exercise blocking and threads.
var conformance = []confCase{
	{file: "int_subbyte_signed.tc", sizes: []sz{{"N": 1}, {"N": 7}, {"N": 37}, {"N": 0}}},
	{file: "rope.tc", sizes: []sz{{"S": 1, "H": 1, "E": 1, "M": 1, "N": 1}, {"S": 3, "H": 2, "E": 5, "M": 3, "N": 17}, {"S": 17, "H": 3, "E": 32, "M": 5, "N": 64}, {"S": 8, "H": 4, "E": 37, "M": 2, "N": 100}, {"S": 0, "H": 2, "E": 4, "M": 0, "N": 3}}},
	{file: "decoder_layer.tc", sizes: []sz{{"S": 1, "D": 4, "H": 4, "E": 1, "F": 1, "G": 1}, {"S": 9, "D": 16, "H": 8, "E": 4, "F": 24, "G": 2}, {"S": 33, "D": 40, "H": 4, "E": 8, "F": 70, "G": 1}}},
	{file: "packed_vector.tc", sizes: []sz{{"N": 1, "M": 1, "K": 1}, {"N": 5, "M": 2, "K": 3}, {"N": 16, "M": 3, "K": 13}, {"N": 17, "M": 5, "K": 16}, {"N": 33, "M": 7, "K": 31}, {"N": 100, "M": 4, "K": 77}, {"N": 1023, "M": 3, "K": 130}, {"N": 20011, "M": 2, "K": 1001}, {"N": 0, "M": 0, "K": 5}}},
	{file: "int_subbyte_unsigned.tc", sizes: []sz{{"N": 1}, {"N": 9}, {"N": 41}, {"N": 0}}},
	{file: "int_wide.tc", sizes: []sz{{"N": 3}, {"N": 64}, {"N": 0}}},
	{file: "uint_wide.tc", sizes: []sz{{"N": 5}, {"N": 33}, {"N": 0}}},
	{file: "float_ieee.tc", sizes: []sz{{"N": 1}, {"N": 17}, {"N": 100}, {"N": 0}}},
	{file: "minifloat_signed.tc", sizes: []sz{{"N": 1}, {"N": 13}, {"N": 77}, {"N": 0}}},
	{file: "minifloat_unsigned.tc", sizes: []sz{{"N": 3}, {"N": 29}, {"N": 0}}},
	{file: "casts_saturate.tc", sizes: []sz{{"N": 5}, {"N": 111}, {"N": 0}}},
	{file: "cast_chain.tc", sizes: []sz{{"N": 7}, {"N": 50}, {"N": 0}}},
	{file: "promotion.tc", sizes: []sz{{"N": 3}, {"N": 40}, {"N": 0}}},
	{file: "literals.tc", sizes: []sz{{"N": 2}, {"N": 19}, {"N": 0}}},
	{file: "funcs_unary.tc", sizes: []sz{{"N": 1}, {"N": 23}, {"N": 200}, {"N": 0}}},
	{file: "funcs_f64.tc", sizes: []sz{{"N": 3}, {"N": 31}, {"N": 0}}},
	{file: "funcs_binary.tc", sizes: []sz{{"N": 2}, {"N": 45}, {"N": 0}}},
	{file: "funcs_int.tc", sizes: []sz{{"N": 3}, {"N": 47}, {"N": 0}}},
	{file: "compare_logic.tc", sizes: []sz{{"N": 4}, {"N": 39}, {"N": 0}}},
	{file: "inf_pi.tc", sizes: []sz{{"N": 3}, {"N": 21}, {"N": 0}}},
	{file: "reduce_sum.tc", sizes: []sz{{"M": 1, "N": 1}, {"M": 5, "N": 7}, {"M": 33, "N": 65}, {"M": 0, "N": 4}, {"M": 3, "N": 0}}},
	{file: "reduce_prod.tc", sizes: []sz{{"M": 1, "N": 1}, {"M": 4, "N": 9}, {"M": 7, "N": 30}, {"M": 2, "N": 0}}},
	{file: "reduce_maxmin.tc", sizes: []sz{{"M": 1, "N": 1}, {"M": 6, "N": 11}, {"M": 17, "N": 40}, {"M": 3, "N": 0}, {"M": 0, "N": 3}}},
	{file: "reduce_multi.tc", sizes: []sz{{"B": 1, "M": 1, "N": 1}, {"B": 2, "M": 3, "N": 5}, {"B": 4, "M": 9, "N": 6}, {"B": 2, "M": 0, "N": 3}}},
	{file: "reduce_where.tc", sizes: []sz{{"M": 1, "N": 1}, {"M": 5, "N": 8}, {"M": 13, "N": 9}, {"M": 4, "N": 0}}},
	{file: "reduce_empty.tc", sizes: []sz{{"M": 3, "K": 0}, {"M": 4, "K": 5}, {"M": 0, "K": 2}}},
	{file: "oob_pad.tc", sizes: []sz{{"H": 1, "W": 1}, {"H": 5, "W": 7}, {"H": 12, "W": 9}, {"H": 0, "W": 3}}},
	{file: "conv1d_causal.tc", sizes: []sz{{"T": 1, "C": 1, "O": 1, "J": 1}, {"T": 9, "C": 3, "O": 4, "J": 3}, {"T": 20, "C": 5, "O": 2, "J": 4}, {"T": 4, "C": 0, "O": 2, "J": 2}}},
	{file: "conv1d.tc", sizes: []sz{{"T": 1, "C": 1, "O": 1, "J": 1}, {"T": 11, "C": 3, "O": 5, "J": 3}, {"T": 3, "C": 2, "O": 2, "J": 5}, {"T": 0, "C": 2, "O": 2, "J": 2}}},
	{file: "scalar_params.tc", sizes: []sz{{"N": 1}, {"N": 15}, {"N": 0}}},
	{file: "scalar_out.tc", sizes: []sz{{"N": 1}, {"N": 26}, {"N": 0}}},
	{file: "multi_out.tc", sizes: []sz{{"M": 1, "N": 1}, {"M": 4, "N": 9}, {"M": 0, "N": 2}}},
	{file: "call_single.tc", sizes: []sz{{"M": 1, "N": 1, "R": 1, "C": 1}, {"M": 5, "N": 6, "R": 3, "C": 4}, {"M": 0, "N": 3, "R": 2, "C": 0}}},
	{file: "call_tuple.tc", sizes: []sz{{"M": 1, "N": 1, "L": 1, "R": 1, "C": 1, "H": 1}, {"M": 4, "N": 7, "L": 10, "R": 3, "C": 5, "H": 3}, {"M": 2, "N": 0, "L": 0, "R": 0, "C": 2, "H": 0}}},
	{file: "consts.tc", sizes: []sz{{"N": 1}, {"N": 9}, {"N": 0}}},
	{file: "group_dims.tc", sizes: []sz{{"N": 1, "K": 4}, {"N": 3, "K": 12}, {"N": 5, "K": 40}, {"N": 2, "K": 0}}},
	{file: "size_values.tc", sizes: []sz{{"R": 1, "C": 1}, {"R": 6, "C": 5}, {"R": 0, "C": 3}, {"R": 3, "C": 0}}},
	{file: "zero_sized.tc", sizes: []sz{{"M": 1, "N": 1}, {"M": 3, "N": 4}, {"M": 0, "N": 0}}},
	{file: "int_wrap.tc", sizes: []sz{{"N": 1}, {"N": 33}, {"N": 0}}},
	{file: "subscripts.tc", sizes: []sz{{"N": 1, "R": 1}, {"N": 10, "R": 4}, {"N": 0, "R": 3}}},
	{file: "intermediates.tc", sizes: []sz{{"M": 1, "N": 1}, {"M": 4, "N": 10}, {"M": 2, "N": 0}}},
	{file: "agree.tc", sizes: []sz{{"N": 1, "M": 1}, {"N": 6, "M": 6}, {"N": 0, "M": 0}}},
	{file: "halfpool.tc", sizes: []sz{{"N": 2, "K": 2}, {"N": 8, "K": 6}, {"N": 0, "K": 0}, {"N": 34, "K": 10}}},
	{file: "call_rounds.tc", sizes: []sz{{"M": 1, "P": 1}, {"M": 17, "P": 17}, {"M": 0, "P": 0}}},
	{file: "outrange.tc", sizes: []sz{{"N": 3, "M": 5}, {"N": 5, "M": 3}, {"N": 0, "M": 2}, {"N": 17, "M": 40}}},
	{file: "matmul.tc", sizes: []sz{{"M": 1, "K": 1, "N": 1}, {"M": 3, "K": 5, "N": 7}, {"M": 17, "K": 33, "N": 9}, {"M": 64, "K": 64, "N": 64}, {"M": 130, "K": 67, "N": 91}, {"M": 13, "K": 20, "N": 40}, {"M": 21, "K": 64, "N": 33}, {"M": 7, "K": 5, "N": 70}, {"M": 349, "K": 40, "N": 20}, {"M": 0, "K": 4, "N": 3}, {"M": 3, "K": 0, "N": 4}, {"M": 2, "K": 3, "N": 0}}},
	{file: "matmul_transposed.tc", sizes: []sz{{"M": 1, "K": 1, "N": 1}, {"M": 5, "K": 3, "N": 9}, {"M": 37, "K": 20, "N": 41}, {"M": 3, "K": 0, "N": 2}}},
	{file: "matmul_batched.tc", sizes: []sz{{"B": 1, "M": 1, "K": 1, "N": 1}, {"B": 3, "M": 5, "K": 4, "N": 6}, {"B": 2, "M": 19, "K": 33, "N": 17}, {"B": 0, "M": 2, "K": 2, "N": 2}}},
	{file: "matmul_epilogue.tc", sizes: []sz{{"M": 1, "K": 1, "N": 1}, {"M": 7, "K": 9, "N": 5}, {"M": 33, "K": 48, "N": 40}, {"M": 2, "K": 0, "N": 3}}},
	{file: "matmul_int8.tc", sizes: []sz{{"M": 1, "K": 1, "N": 1}, {"M": 6, "K": 11, "N": 5}, {"M": 40, "K": 70, "N": 36}, {"M": 3, "K": 0, "N": 3}}},
	{file: "matmul_lowp.tc", sizes: []sz{{"M": 1, "K": 1, "N": 1}, {"M": 5, "K": 8, "N": 3}, {"M": 24, "K": 40, "N": 20}, {"M": 2, "K": 0, "N": 2}}},
	{file: "softmax.tc", sizes: []sz{{"R": 1, "C": 1}, {"R": 3, "C": 10}, {"R": 17, "C": 100}, {"R": 0, "C": 5}}},
	{file: "layernorm.tc", sizes: []sz{{"R": 1, "C": 1}, {"R": 4, "C": 9}, {"R": 9, "C": 64}, {"R": 0, "C": 3}}},
	{file: "attention.tc", sizes: []sz{{"S": 1, "D": 1}, {"S": 5, "D": 4}, {"S": 19, "D": 16}, {"S": 0, "D": 4}}},
	{file: "gemv_u4.tc", sizes: []sz{{"N": 1, "K": 32}, {"N": 5, "K": 64}, {"N": 17, "K": 96}, {"N": 3, "K": 0}, {"N": 0, "K": 32}}},
	{file: "qa_edges.tc", sizes: []sz{{"M": 1, "N": 1}, {"M": 7, "N": 13}, {"M": 3, "N": 300}, {"M": 0, "N": 3}, {"M": 2, "N": 0}}},
	{file: "long_sum.tc", sizes: []sz{{"K": 1}, {"K": 7}, {"K": 100}, {"K": 1000}, {"K": 0}}},
	{file: "diff_redundant_and.tc", sizes: []sz{{"M": 1}, {"M": 3}, {"M": 0}}},
	{file: "diff_f64_temps.tc", sizes: []sz{{"M": 1, "N": 1}, {"M": 7, "N": 13}, {"M": 0, "N": 2}}},
	{file: "diff_subbyte_scalar.tc", sizes: []sz{{"N": 1}, {"N": 9}, {"N": 0}}},
	{file: "nan_propagation.tc", sizes: []sz{{"N": 33, "R": 5, "M": 3, "K": 4, "P": 5}, {"N": 17, "R": 17, "M": 13, "K": 40, "P": 35}, {"N": 100, "R": 3, "M": 40, "K": 9, "P": 70}, {"N": 1, "R": 1, "M": 1, "K": 1, "P": 1}, {"N": 64, "R": 9, "M": 17, "K": 33, "P": 16}}, specials: true},
	{file: "zero_encoding.tc", sizes: []sz{{"M": 1, "N": 1, "K": 1}, {"M": 3, "N": 5, "K": 2}, {"M": 19, "N": 37, "K": 23}, {"M": 0, "N": 0, "K": 0}}},
	{file: "matmul_mixed.tc", sizes: []sz{{"G": 1, "M": 1, "K": 1, "N": 1}, {"G": 2, "M": 1, "K": 37, "N": 70}, {"G": 1, "M": 45, "K": 33, "N": 1}, {"G": 3, "M": 29, "K": 40, "N": 51}, {"G": 1, "M": 70, "K": 300, "N": 66}, {"G": 2, "M": 3, "K": 0, "N": 2}}},
	{file: "matmul_half.tc", sizes: []sz{{"I": 1, "J": 1, "K": 1, "L": 1}, {"I": 5, "J": 33, "K": 9, "L": 7}, {"I": 128, "J": 512, "K": 128, "L": 3}, {"I": 4, "J": 70, "K": 600, "L": 65}, {"I": 1, "J": 2000, "K": 64, "L": 1}, {"I": 2, "J": 0, "K": 3, "L": 2}}},
	{file: "prologue_gemm.tc", sizes: []sz{{"S": 1, "D": 1, "N": 1}, {"S": 1, "D": 70, "N": 33}, {"S": 19, "D": 40, "N": 1}, {"S": 37, "D": 64, "N": 45}, {"S": 3, "D": 0, "N": 2}}},
	{file: "reduce_nested.tc", sizes: []sz{{"M": 1, "N": 1}, {"M": 5, "N": 7}, {"M": 33, "N": 17}, {"M": 20, "N": 40}, {"M": 0, "N": 3}, {"M": 3, "N": 0}}},
	{file: "mask_logic.tc", sizes: []sz{{"N": 1}, {"N": 4}, {"N": 37}, {"N": 0}}},
	{file: "contractions.tc", sizes: []sz{
		{"H": 4, "W": 1, "C": 1, "O": 1, "I": 1, "J": 1, "K": 1, "L": 1, "S": 1, "D": 1, "E": 1, "N": 1, "T": 1, "M": 1},
		{"H": 8, "W": 7, "C": 3, "O": 9, "I": 3, "J": 4, "K": 5, "L": 6, "S": 7, "D": 5, "E": 3, "N": 11, "T": 6, "M": 9},
		{"H": 12, "W": 13, "C": 20, "O": 35, "I": 7, "J": 9, "K": 33, "L": 40, "S": 29, "D": 40, "E": 16, "N": 37, "T": 19, "M": 45},
		{"H": 4, "W": 3, "C": 0, "O": 2, "I": 0, "J": 3, "K": 2, "L": 3, "S": 3, "D": 0, "E": 0, "N": 2, "T": 0, "M": 2},
	}},
	{file: "diff_round_high_reg.tc", sizes: []sz{{"M": 1}, {"M": 4}, {"M": 37}}},
	{file: "diff_u32_wrap.tc", sizes: []sz{{"M": 1, "N": 1}, {"M": 2, "N": 2}, {"M": 5, "N": 19}, {"M": 3, "N": 0}}},
	{file: "masks_affine.tc", sizes: []sz{{"S": 1, "N": 1, "C": 1}, {"S": 5, "N": 7, "C": 3}, {"S": 37, "N": 40, "C": 19}, {"S": 70, "N": 3, "C": 33}, {"S": 0, "N": 0, "C": 2}}},
	{file: "mx_block.tc", sizes: []sz{{"N": 1, "K": 32}, {"N": 3, "K": 64}, {"N": 2, "K": 0}}},
}
