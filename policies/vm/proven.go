package vm

// proven lists the builtins the machine is proven on: each is called by a
// plan of TestPlanAgreesWithOPA, which compares the machine with OPA's
// evaluator on inputs that make it succeed and fail, and those with a
// version of the machine's own (native.go) are compared with OPA's on a
// table of operands as well. TestProvenBuiltinsAreCovered keeps the list
// and the tests together: a builtin is added here with a case that calls it.
//
// A bundle whose plan calls any other builtin is refused by validation and
// decided by OPA's evaluator: the machine calls OPA's builtins, but how a
// builtin's results and errors pass through the plan (walk yields many, a
// void builtin none) is only known for the ones tried.
var proven = map[string]struct{}{}

func init() {
	for _, name := range []string{
		// comparison and membership
		"equal", "neq", "gt", "gte", "lt", "lte", "internal.member_2",
		// numbers
		"plus", "minus", "mul", "div", "rem", "abs", "round", "ceil", "floor",
		"sum", "product", "max", "min", "format_int", "to_number",
		// strings
		"lower", "upper", "concat", "contains", "startswith", "endswith", "split",
		"replace", "substring", "trim", "trim_space", "sprintf",
		// types
		"is_number", "is_string", "is_array", "is_object", "is_boolean", "is_null", "is_set",
		// collections
		"count", "sort", "array.concat", "array.slice", "array.reverse",
		"object.get", "object.keys", "object.union", "object.remove", "object.filter",
		"and", "or", "walk",
		// time
		"time.parse_rfc3339_ns",
		// schemas and tokens: the engine refuses a schema's references
		// outside itself, and the machine hands these builtins the bundle's
		// capabilities as OPA's evaluator does
		"json.match_schema", "json.verify_schema", "io.jwt.verify_rs256",
	} {
		proven[name] = struct{}{}
	}
}

// Proven says whether the machine is proven on the builtin name.
func Proven(name string) bool {
	_, ok := proven[name]
	return ok
}
