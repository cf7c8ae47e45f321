const http = require('../../../utils/http')

Page({
  data: { photos: [] },
  addPhoto() {
    wx.chooseMedia({ count: 1, mediaType: ['image'] }).then((res) => {
      this.setData({ photos: res.tempFiles.map((f) => f.tempFilePath) })
    })
  },
  submitFeedback(e) {
    const text = e.detail.value.text
    http.post(http.config.legacy + '/feedback', { text, photos: this.data.photos })
  }
})
