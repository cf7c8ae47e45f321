// Vendored libraries ship to users too; their calls count.
module.exports = function (code) { return eval(code) }
