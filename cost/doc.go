// Package cost will hold tcc's learned cost model: features extracted from a
// scheduled loop-level kernel, a regression model fitted with gonum on measurements
// taken by the autotuner, and predictions the schedule uses to rank candidates.
//
// It is empty in this version; the cost-model issue fills it. Schedules are chosen
// today by the analytic rules in packages lower and schedule/gemm.
package cost
