function Counter() { this.n = 0 }
const c = new Counter()
