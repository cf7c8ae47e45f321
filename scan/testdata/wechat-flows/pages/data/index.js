const app = getApp()
const http = require('../../utils/http')

Page({
  data: { contact: null },
  pickContact() {
    wx.chooseContact({
      success: (res) => {
        this.setData({ contact: res })
      }
    })
  },
  saveContact() {
    http.post('/contacts/save', { phone: this.data.contact.phoneNumber })
  },
  onLoad() {
    wx.getUserProfile({ desc: 'show your profile' }).then((res) => {
      app.globalData.userInfo = res.userInfo
    })
  }
})
