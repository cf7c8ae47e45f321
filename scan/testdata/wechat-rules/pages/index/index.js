// A page that only reads data: nothing here should fire.
Page({
  data: { title: 'Hello', svg: 'http://www.w3.org/2000/svg' },
  onLoad() {
    const note = 'eval(x) in a string is not a call'
    this.setData({ note })
  },
})
