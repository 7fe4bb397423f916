// happy-dom lays nothing out: give the virtual list a viewport to fill.
for (const name of ["clientHeight", "offsetHeight"]) {
  Object.defineProperty(HTMLElement.prototype, name, { configurable: true, get: () => 600 });
}
for (const name of ["clientWidth", "offsetWidth"]) {
  Object.defineProperty(HTMLElement.prototype, name, { configurable: true, get: () => 800 });
}
