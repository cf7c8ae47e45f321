package workflows

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryActivityNameIsInTheContract holds the names the workflows call
// and the methods of the Activities interface to one list: a name without a
// method would reach a worker that registered nothing under it, and a
// method without a name would be an activity no workflow can call.
func TestEveryActivityNameIsInTheContract(t *testing.T) {
	t.Parallel()
	contract := reflect.TypeFor[Activities]()
	var methods []string
	for i := range contract.NumMethod() {
		methods = append(methods, contract.Method(i).Name)
	}
	names := ActivityNames()
	slices.Sort(names)
	require.Equal(t, methods, names) // reflect lists methods sorted by name
	require.Len(t, slices.Compact(slices.Clone(names)), len(names), "an activity name is listed twice")
}

// unmocked has the contract's signatures and does nothing: registered with
// the test environment, it lets each test mock the activities by name.
type unmocked struct{}

var _ Activities = unmocked{}

var errNotMocked = errors.New("activity not mocked in this test")

func (unmocked) ScanPackage(context.Context, ScanInput) (ScanSummary, error) {
	return ScanSummary{}, errNotMocked
}
func (unmocked) LoadDeveloper(context.Context, ProfileInput) (Profile, error) {
	return Profile{}, errNotMocked
}
func (unmocked) Decide(context.Context, DecideInput) (Verdict, error) { return Verdict{}, errNotMocked }
func (unmocked) Advance(context.Context, AdvanceInput) error          { return errNotMocked }
func (unmocked) Note(context.Context, NoteInput) error                { return errNotMocked }
func (unmocked) SaveTask(context.Context, Task) error                 { return errNotMocked }
func (unmocked) SuspendApp(context.Context, SuspendInput) error       { return errNotMocked }
func (unmocked) ReinstateApp(context.Context, ReinstateInput) error   { return errNotMocked }
func (unmocked) LiveApps(context.Context, string) ([]LiveApp, error)  { return nil, errNotMocked }
func (unmocked) AppEvent(context.Context, AppEventInput) error        { return errNotMocked }
func (unmocked) SimulatePolicy(context.Context, SimulateInput) (SimulationSummary, error) {
	return SimulationSummary{}, errNotMocked
}
func (unmocked) AbandonSimulation(context.Context, AbandonSimulationInput) error {
	return errNotMocked
}
func (unmocked) LinkedLiveApps(context.Context, LinkedAppsInput) ([]LiveApp, error) {
	return nil, errNotMocked
}
