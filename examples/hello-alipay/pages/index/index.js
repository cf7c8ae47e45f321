Page({ data: { greeting: 'Hello' } });
