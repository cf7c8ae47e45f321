App({
  onLaunch() {
    console.log('hello from a trustgate example');
  },
});
