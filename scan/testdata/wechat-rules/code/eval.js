function run(code) {
  eval(code)
  window.eval(code)
  return (0, eval)(code)
}
