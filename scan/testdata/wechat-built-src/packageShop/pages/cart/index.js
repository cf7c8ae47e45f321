const util = require('../../../utils/util.js')

Page({
  data: { items: [] },

  checkout() {
    util.post('/orders/create', { items: this.data.items }).then((order) => {
      wx.requestPayment({
        timeStamp: order.timeStamp,
        nonceStr: order.nonceStr,
        package: order.package,
        signType: 'RSA',
        paySign: order.paySign
      })
    })
  }
})
