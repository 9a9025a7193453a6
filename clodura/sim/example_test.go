package sim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/clodura/enrich/clodura"
	"github.com/clodura/enrich/clodura/sim"
)

func Example() {
	max, _ := clodura.PlanByName("max")
	srv := httptest.NewServer(sim.New(sim.Config{
		Seed: 1,
		Keys: []sim.Key{{Key: "demo-key", Plan: max, Credits: 100}},
	}))
	defer srv.Close()

	get := func(method, path, body string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("X-API-KEY", "demo-key")
		resp, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, string(b))
	}
	get("GET", sim.CreditsPath, "")
	get("POST", sim.SearchPath, `{"page":0,"perPage":1,"firstName":"Jane","lastName":"Doe"}`)
	// Output:
	// 200 {"remainingCredits":100}
	// 400 {"message":"page must be between 1 and 100, got 0"}
}
