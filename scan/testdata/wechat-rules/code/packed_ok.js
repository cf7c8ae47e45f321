// Six parameters named like the packer's, but no eval around them.
function format(p, a, c, k, e, d) { return [p, a, c, k, e, d].join(' ') }
