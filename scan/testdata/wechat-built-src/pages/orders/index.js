const util = require('../../utils/util.js')

Page({
  data: { orders: [] },
  onLoad() {
    util.post('/orders', {}).then((orders) => this.setData({ orders }))
  }
})
