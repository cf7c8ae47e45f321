App({ globalData: { lastPlace: null } })
