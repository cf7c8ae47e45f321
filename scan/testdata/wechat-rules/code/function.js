const add = new Function('a', 'b', 'return a + b')
const f = Function('return this')()
