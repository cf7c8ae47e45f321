package policies

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
	"github.com/open-policy-agent/opa/v1/util"
)

// OPA's json.match_schema and json.verify_schema resolve a schema's remote
// references: an http(s) $ref is fetched unless the capabilities' allow_net
// leaves its host out (the restricted capabilities allow none), but a
// file:// $ref is read from the worker's disk whatever the capabilities
// say, and a $id gives relative references a base of the author's choosing.
// Schemas come from the bundle or from the input, so the two builtins are
// replaced, for OPA's evaluator, the plan machine and `policy test` alike
// (all three call the builtin OPA registers under the name), by versions
// that refuse a schema with any reference outside itself before OPA's
// loader sees it. A schema that only refers into itself ("#/definitions/x")
// works as before.
func init() {
	for _, name := range []string{ast.JSONMatchSchema.Name, ast.JSONSchemaVerify.Name} {
		topdown.RegisterBuiltinFunc(name, localSchemasOnly(name, topdown.GetBuiltin(name)))
	}
}

// localSchemasOnly wraps the schema builtin f, whose schema is its last
// operand before the output.
func localSchemasOnly(name string, f topdown.BuiltinFunc) topdown.BuiltinFunc {
	return func(bctx topdown.BuiltinContext, operands []*ast.Term, iter func(*ast.Term) error) error {
		if len(operands) >= 2 {
			if err := checkSchemaRefs(operands[len(operands)-2].Value); err != nil {
				return topdown.Halt{Err: &topdown.Error{Code: topdown.BuiltinErr, Message: name + ": " + err.Error(), Location: bctx.Location}}
			}
		}
		return f(bctx, operands, iter)
	}
}

// checkSchemaRefs refuses a schema, given as an object or as JSON text,
// that refers to anything outside itself: a $ref that is not a fragment
// ("#..."), or a $id or id that sets a base for references. Text that is not
// JSON is left to the builtin, which reports it as it always has.
func checkSchemaRefs(schema ast.Value) error {
	var doc any
	switch s := schema.(type) {
	case ast.String:
		if err := util.UnmarshalJSON([]byte(s), &doc); err != nil {
			return nil
		}
	default:
		var err error
		if doc, err = ast.JSON(schema); err != nil {
			return nil
		}
	}
	return walkSchemaRefs(doc)
}

func walkSchemaRefs(doc any) error {
	switch d := doc.(type) {
	case map[string]any:
		// In key order, so that a schema with several refusals is always
		// refused for the same one, whichever evaluator meets it.
		for _, k := range slices.Sorted(maps.Keys(d)) {
			v := d[k]
			if s, ok := v.(string); ok {
				switch {
				case k == "$ref" && !strings.HasPrefix(s, "#"):
					return fmt.Errorf("schema reference %q refused: policies get no network or file access; refer only within the schema (\"#/...\")", s)
				case (k == "$id" || k == "id") && !strings.HasPrefix(s, "#"):
					return fmt.Errorf("schema %s %q refused: a base URI would make references reach outside the schema", k, s)
				}
			}
			if err := walkSchemaRefs(v); err != nil {
				return err
			}
		}
	case []any:
		for _, v := range d {
			if err := walkSchemaRefs(v); err != nil {
				return err
			}
		}
	}
	return nil
}
