Page({
  data: { title: 'Hello' },
  onTapAbout() {
    my.navigateTo({ url: '/pages/about/about' })
  }
})
