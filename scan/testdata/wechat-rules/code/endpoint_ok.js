const id = 7
wx.request({ url: 'https://api.example.com/v1/orders/' + id })
wx.connectSocket({ url: 'wss://live.cdn.example.com/socket' })
wx.uploadFile({ url: `https://api.example.com/upload/${id}` })
const xmlns = 'http://www.w3.org/2000/svg'
