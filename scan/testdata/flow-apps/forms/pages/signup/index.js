const { config } = require('../../utils/http')

Page({
  data: { avatar: '', name: '' },
  onNameInput(e) {
    this.setData({ name: e.detail.value })
  },
  onChooseAvatar(e) {
    this.setData({ avatar: e.detail.avatarUrl })
  },
  onSubmit(e) {
    const values = e.detail.value
    wx.uploadFile({
      url: config.api + '/signup',
      filePath: this.data.avatar,
      name: 'avatar',
      formData: { nickname: this.data.name, idcard: values.idcard }
    })
  }
})
