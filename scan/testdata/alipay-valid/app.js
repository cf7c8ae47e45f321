App({
  onLaunch(options) {
    this.launchedAt = Date.now()
  }
})
