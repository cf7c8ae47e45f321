const request = require('../../utils/request')
const app = getApp()

Page({
  data: { address: null },
  pickAddress() {
    wx.chooseAddress({
      success: (res) => {
        this.setData({ address: res })
      }
    })
  },
  submitOrder() {
    const { address } = this.data
    request.post('/orders', {
      items: app.globalData.cart,
      receiver: address.userName,
      phone: address.telNumber,
      region: [address.provinceName, address.cityName].join(' ')
    }).then((order) => {
      wx.requestPayment(order.payment)
    })
  }
})
