OC.L10N.register(
	"nc_coop",
	{
		"Cooperative": "Genossenschaft"
	},
	"nplurals=2; plural=(n != 1);"
);
