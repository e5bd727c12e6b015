// A worker that throws outside any try block, as a bug in a callback would.
process.once('message', () => {
  setTimeout(() => {
    throw new Error('kaboom in a timer');
  }, 10);
});
