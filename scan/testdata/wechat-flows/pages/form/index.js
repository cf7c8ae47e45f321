const http = require('../../utils/http')

Page({
  data: { keyword: '' },
  formSubmit(e) {
    const form = e.detail.value
    http.post('/profile/save', { name: form.name })
  },
  onGetPhone(e) {
    http.post('/user/phone', { code: e.detail.code })
  },
  onAvatar(e) {
    const { avatarUrl } = e.detail
    wx.uploadFile({ url: 'https://cdn.example-upload.com/avatar', filePath: avatarUrl, name: 'file' })
  },
  onSearch(e) {
    this.setData({ keyword: e.detail.value })
  },
  onTap(e) {
    // which item was tapped, not what the user typed
    http.post('/click', { id: e.currentTarget.dataset.id })
  }
})
