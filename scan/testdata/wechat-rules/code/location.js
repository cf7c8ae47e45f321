wx.getLocation({ type: 'gcj02' })
wx.chooseAddress({})
wx.setClipboardData({ data: 'copied' })
