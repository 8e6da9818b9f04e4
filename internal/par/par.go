// Package par runs independent work on every processor.
package par

import (
	"runtime"
	"sync"
)

// Each calls f(0) ... f(n-1) on as many goroutines as there are
// processors, and returns when all are done.
func Each(n int, f func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
