// eval(code) in a comment, and methods named eval on our own objects.
const parser = { eval: function (x) { return x } }
parser.eval('1 + 1')
const text = "eval(code)"
