Page({
  data: { greeting: 'Hello' },
  onTap() {
    wx.navigateTo({ url: '/pages/about/about' });
  },
});
