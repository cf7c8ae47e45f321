Page({
  onLoad() {
    my.getLocation({ type: 1 })
    my.tradePay({ tradeNO: '201711152100110410533667792' })
  },
})
